import { Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty } from '../components/states';

export default function OrdersPage(): ReactNode {
  return (
    <>
      <Title order={2}>orders</Title>
      <Empty>Coming soon.</Empty>
    </>
  );
}
