import { Button, Group, ScrollArea, Table, Text } from '@mantine/core';
import { flexRender, getCoreRowModel, useReactTable, type ColumnDef } from '@tanstack/react-table';
import { useState, type ReactNode } from 'react';
import { Empty } from './states';

/** A TanStack table drawn with Mantine, scrolling sideways on narrow screens. */
export function DataTable<T>({
  data,
  columns,
  caption,
  empty = 'Nothing here yet.',
  rowKey,
}: {
  data: T[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- TanStack's column value types vary per column
  columns: ColumnDef<T, any>[];
  caption: string;
  empty?: ReactNode;
  rowKey?: (row: T, index: number) => string;
}): ReactNode {
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Table returns functions that are not memoizable
  const table = useReactTable({
    data,
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: rowKey ? (row, i) => rowKey(row, i) : undefined,
  });
  if (data.length === 0) return <Empty>{empty}</Empty>;
  return (
    <ScrollArea type="auto">
      <Table striped highlightOnHover withTableBorder verticalSpacing="xs" miw={640} captionSide="top">
        <Table.Caption>{caption}</Table.Caption>
        <Table.Thead>
          {table.getHeaderGroups().map((hg) => (
            <Table.Tr key={hg.id}>
              {hg.headers.map((h) => (
                <Table.Th key={h.id} scope="col">
                  {h.isPlaceholder ? null : flexRender(h.column.columnDef.header, h.getContext())}
                </Table.Th>
              ))}
            </Table.Tr>
          ))}
        </Table.Thead>
        <Table.Tbody>
          {table.getRowModel().rows.map((row) => (
            <Table.Tr key={row.id}>
              {row.getVisibleCells().map((cell) => (
                <Table.Td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollArea>
  );
}

/** Previous / next over cursor pages: the cursors seen so far are a stack. */
export function CursorPager({
  page,
  hasMore,
  onPrev,
  onNext,
}: {
  page: number;
  hasMore: boolean;
  onPrev: () => void;
  onNext: () => void;
}): ReactNode {
  return (
    <Group justify="flex-end" gap="xs" mt="sm">
      <Text size="sm" c="dimmed">
        Page {page + 1}
      </Text>
      <Button variant="default" size="xs" disabled={page === 0} onClick={onPrev}>
        Previous
      </Button>
      <Button variant="default" size="xs" disabled={!hasMore} onClick={onNext}>
        Next
      </Button>
    </Group>
  );
}

/** The cursor pages a list has walked: the current cursor, its page number, and moving between them. */
export function useCursorPages(): {
  cursor: string | undefined;
  page: number;
  next: (cursor: string | null | undefined) => void;
  prev: () => void;
  reset: () => void;
} {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const page = cursors.length - 1;
  return {
    cursor: cursors[page],
    page,
    next: (cursor) => setCursors((c) => [...c, cursor ?? undefined]),
    prev: () => setCursors((c) => c.slice(0, -1)),
    reset: () => setCursors([undefined]),
  };
}
