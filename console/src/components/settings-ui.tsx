import {
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  Stack,
  Text,
  Title,
  Tooltip,
  type ButtonProps,
} from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { errorText } from './states';

/** `2026-12-02T11:36:43.123456Z` -> `2026-12-02 11:36 UTC`; null as a dash. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function PageTitle({ title, children }: { title: string; children?: ReactNode }): ReactNode {
  return (
    <Group justify="space-between" align="center" mb="md" wrap="wrap" gap="sm">
      <Title order={2}>{title}</Title>
      {children && <Group gap="xs">{children}</Group>}
    </Group>
  );
}

/** A value with a copy button (a secret shown once, an invitation link). */
export function CopyValue({ value, label }: { value: string; label: string }): ReactNode {
  return (
    <Group gap="xs" wrap="nowrap" align="flex-start">
      <Code
        block
        style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}
        data-testid={`copy-value-${label.toLowerCase().replace(/\s+/g, '-')}`}
      >
        {value}
      </Code>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? 'Copied' : `Copy ${label}`} withArrow>
            <Button
              size="xs"
              variant={copied ? 'filled' : 'light'}
              color={copied ? 'teal' : undefined}
              onClick={copy}
            >
              {copied ? 'Copied' : `Copy`}
            </Button>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}

/**
 * A button that asks first: a dialog with the consequence, Cancel and the confirming action, and the
 * error of the action shown in the dialog when it fails.
 */
export function ConfirmButton({
  label,
  title,
  message,
  confirmLabel,
  onConfirm,
  color = 'red',
  buttonProps,
  children,
}: {
  label: string;
  title: string;
  message: ReactNode;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
  color?: string;
  buttonProps?: ButtonProps & { 'aria-label'?: string };
  children?: ReactNode;
}): ReactNode {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = (): void => {
    setOpen(false);
    setError(null);
  };
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      close();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button size="xs" variant="light" color={color} onClick={() => setOpen(true)} {...buttonProps}>
        {label}
      </Button>
      <Modal opened={open} onClose={close} title={title} centered>
        <Stack>
          <Text size="sm">{message}</Text>
          {children}
          {error && (
            <Text c="red" size="sm" role="alert">
              {error}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button color={color} loading={busy} onClick={() => void confirm()}>
              {confirmLabel ?? label}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/** Badge styles for table cells: the whole word, never "PEN…" (a Badge's label clips by default). */
export const NO_TRUNCATE = { label: { overflow: 'visible' } } as const;
