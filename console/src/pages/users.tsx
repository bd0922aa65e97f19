import { Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty } from '../components/states';

export default function UsersPage(): ReactNode {
  return (
    <>
      <Title order={2}>users</Title>
      <Empty>Coming soon.</Empty>
    </>
  );
}
