import { Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty } from '../components/states';

export default function UserDetailPage(): ReactNode {
  return (
    <>
      <Title order={2}>user-detail</Title>
      <Empty>Coming soon.</Empty>
    </>
  );
}
