import { Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty } from '../components/states';

export default function AuditPage(): ReactNode {
  return (
    <>
      <Title order={2}>audit</Title>
      <Empty>Coming soon.</Empty>
    </>
  );
}
