import { Anchor, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';

export default function NotFoundPage(): ReactNode {
  return (
    <Stack align="flex-start">
      <Title order={2}>Page not found</Title>
      <Text>There is no console page at this address.</Text>
      <Anchor component={Link} to="/">
        Back to the console
      </Anchor>
    </Stack>
  );
}
