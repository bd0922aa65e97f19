import { Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty } from '../components/states';

export default function TenantDetailPage(): ReactNode {
  return (
    <>
      <Title order={2}>tenant-detail</Title>
      <Empty>Coming soon.</Empty>
    </>
  );
}
