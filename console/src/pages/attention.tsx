import { Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty } from '../components/states';

export default function AttentionPage(): ReactNode {
  return (
    <>
      <Title order={2}>attention</Title>
      <Empty>Coming soon.</Empty>
    </>
  );
}
