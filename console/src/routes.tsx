import type { ReactNode } from 'react';
import type { Session } from './api/session';
import AcceptInvitePage from './pages/accept-invite';
import ApiKeysPage from './pages/api-keys';
import ApplicationDetailPage from './pages/application-detail';
import ApplicationsPage from './pages/applications';
import MembersPage from './pages/members';
import PackagesPage from './pages/packages';
import ProviderAccountsPage from './pages/provider-accounts';
import ResetPasswordPage from './pages/reset-password';
import WebhooksPage from './pages/webhooks';
import AttentionPage from './pages/attention';
import AuditPage from './pages/audit';
import DashboardPage from './pages/dashboard';
import FxPage from './pages/fx';
import LoginPage from './pages/login';
import OrderTimelinePage from './pages/order-timeline';
import OrdersPage from './pages/orders';
import TenantDetailPage from './pages/tenant-detail';
import TenantsPage from './pages/tenants';
import UserDetailPage from './pages/user-detail';
import UsersPage from './pages/users';

/**
 * The one table of console pages. A page with `nav` is listed in the navigation; `allowed` hides it
 * (and refuses the page) for a session that may not use it. Add a page: a file in pages/, a row here.
 */
export interface ConsoleRoute {
  /** Relative to /admin/. */
  path: string;
  element: ReactNode;
  nav?: string;
  allowed?: (s: Session) => boolean;
}

export const operatorOnly = (s: Session): boolean => s.operator;
/** Owners and admins (and operators): pages whose reads members may not make either (API keys). */
export const ownerOrAdmin = (s: Session): boolean => s.canOperate;

/** What the route guard says when `allowed` refuses the session: who the page is for. */
export function refusal(allowed: ConsoleRoute['allowed']): string {
  if (allowed === operatorOnly) return 'This page is for platform operators.';
  if (allowed === ownerOrAdmin) return "This page is for the tenant's owners and admins.";
  return 'Your role may not use this page.';
}

/** Pages behind the sign-in, inside the app shell. */
export const consoleRoutes: ConsoleRoute[] = [
  { path: 'dashboard', nav: 'Dashboard', element: <DashboardPage /> },
  { path: 'orders', nav: 'Orders', element: <OrdersPage /> },
  { path: 'orders/:id', element: <OrderTimelinePage /> },
  { path: 'attention', nav: 'Needs attention', element: <AttentionPage /> },
  { path: 'tenants', nav: 'Tenants', element: <TenantsPage />, allowed: operatorOnly },
  { path: 'tenants/:id', element: <TenantDetailPage />, allowed: operatorOnly },
  { path: 'users', nav: 'Users', element: <UsersPage />, allowed: operatorOnly },
  { path: 'users/:id', element: <UserDetailPage />, allowed: operatorOnly },
  { path: 'audit', nav: 'Audit log', element: <AuditPage />, allowed: operatorOnly },
  { path: 'fx', nav: 'FX rates', element: <FxPage />, allowed: operatorOnly },
  { path: 'applications', nav: 'Applications', element: <ApplicationsPage /> },
  { path: 'applications/:id', element: <ApplicationDetailPage /> },
  { path: 'packages', nav: 'Packages', element: <PackagesPage /> },
  { path: 'providers', nav: 'Provider accounts', element: <ProviderAccountsPage /> },
  { path: 'api-keys', nav: 'API keys', element: <ApiKeysPage />, allowed: ownerOrAdmin },
  { path: 'webhooks', nav: 'Webhooks', element: <WebhooksPage /> },
  { path: 'members', nav: 'Members', element: <MembersPage /> },
];

/** Pages open without a session (sign-in; invitation and password-reset links come here too). */
export const publicRoutes: ConsoleRoute[] = [
  { path: 'login', element: <LoginPage /> },
  { path: 'accept-invite', element: <AcceptInvitePage /> },
  { path: 'reset-password', element: <ResetPasswordPage /> },
];

/** Where `/admin/` lands. */
export const HOME = 'orders';
