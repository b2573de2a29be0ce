import { progressLabel } from "./format.tsx";
import { usePlace } from "./PlaceProvider.tsx";

/** The contents' small marker: a tick for a chapter read, a thin bar for one begun; its words for screen readers. */
export function ProgressMark({ slug }: { slug: string }) {
  const { progress } = usePlace();
  const p = progress.get(slug);
  const label = progressLabel(p);
  if (!p || !label) return null;
  return (
    <span className="progress-mark" data-read={p.completed || undefined}>
      <span className="visually-hidden"> ({label})</span>
      {p.completed ? (
        <span className="progress-tick" aria-hidden="true">
          ✓
        </span>
      ) : (
        <span className="progress-bar" aria-hidden="true">
          <span style={{ width: `${Math.max(4, Math.round(p.fraction * 100))}%` }} />
        </span>
      )}
    </span>
  );
}
