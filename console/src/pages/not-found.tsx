import { Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty } from '../components/states';

export default function NotFoundPage(): ReactNode {
  return (
    <>
      <Title order={2}>not-found</Title>
      <Empty>Coming soon.</Empty>
    </>
  );
}
