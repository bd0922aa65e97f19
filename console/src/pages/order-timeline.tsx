import { Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty } from '../components/states';

export default function OrderTimelinePage(): ReactNode {
  return (
    <>
      <Title order={2}>order-timeline</Title>
      <Empty>Coming soon.</Empty>
    </>
  );
}
