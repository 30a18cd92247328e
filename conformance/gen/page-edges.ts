/** nr_events where the ring grows by one page: ne+3 events crossing k*S/32 (ne is always even). Node-free: the playground offers them. */
export function pageEdges(
  pageSize: number,
  pages: readonly number[] = [1, 2, 3, 8, 64, 1025],
): number[] {
  const perPage = pageSize / 64;
  return pages.flatMap((k) => [k * perPage - 2, k * perPage - 1]).filter((n) => n > 0);
}
