import { Group, Title } from '@mantine/core';
import type { ReactNode } from 'react';

export function PageTitle({ children, right }: { children: ReactNode; right?: ReactNode }): ReactNode {
  return (
    <Group justify="space-between" align="center">
      <Title order={2}>{children}</Title>
      {right}
    </Group>
  );
}
