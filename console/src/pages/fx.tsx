import { Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty } from '../components/states';

export default function FxPage(): ReactNode {
  return (
    <>
      <Title order={2}>fx</Title>
      <Empty>Coming soon.</Empty>
    </>
  );
}
