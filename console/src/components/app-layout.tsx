import {
  AppShell,
  Badge,
  Burger,
  Button,
  Group,
  NavLink,
  ScrollArea,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { ReactNode } from 'react';
import { NavLink as RouterNavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useLogout, useSession } from '../api/session';
import { consoleRoutes } from '../routes';

/** Header (who is signed in, logout), the navigation built from the route table, the page. */
export function AppLayout(): ReactNode {
  const session = useSession();
  const [opened, { toggle, close }] = useDisclosure(false);
  const logout = useLogout();
  const navigate = useNavigate();
  const location = useLocation();
  const nav = consoleRoutes.filter((r) => r.nav && (!r.allowed || r.allowed(session)));

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label="Toggle navigation"
            />
            <Title order={1} size="h4">
              paymux
            </Title>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <Stack gap={0} align="flex-end" visibleFrom="xs">
              <Text size="sm" fw={500} data-testid="whoami">
                {session.me.user.email}
              </Text>
              <Text size="xs" c="dimmed" data-testid="tenant-name">
                {session.me.tenant.name}
              </Text>
            </Stack>
            <Badge variant="light" data-testid="role">
              {session.operator ? 'operator' : session.me.role}
            </Badge>
            <Button
              variant="default"
              size="xs"
              onClick={() => void logout().then(() => navigate('/login', { replace: true }))}
            >
              Log out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        <ScrollArea>
          {nav.map((r) => (
            <NavLink
              key={r.path}
              component={RouterNavLink}
              to={`/${r.path}`}
              label={r.nav}
              active={location.pathname === `/${r.path}` || location.pathname.startsWith(`/${r.path}/`)}
              onClick={close}
            />
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
