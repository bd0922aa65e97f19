import { Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty } from '../components/states';

export default function TenantsPage(): ReactNode {
  return (
    <>
      <Title order={2}>tenants</Title>
      <Empty>Coming soon.</Empty>
    </>
  );
}
