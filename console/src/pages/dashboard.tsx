import { Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty } from '../components/states';

export default function DashboardPage(): ReactNode {
  return (
    <>
      <Title order={2}>dashboard</Title>
      <Empty>Coming soon.</Empty>
    </>
  );
}
