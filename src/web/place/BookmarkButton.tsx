import { useId, useState, type FormEvent } from "react";
import { errorMessage } from "../api/error-messages.ts";
import { MAX_BOOKMARK_NOTE } from "../../shared/api/place.ts";
import { useAnnounce } from "../ui/Announcer.tsx";
import { Dialog } from "../ui/Dialog.tsx";
import { ErrorMessage, SubmitOrCancel } from "../ui/bits.tsx";
import { usePlace } from "./PlaceProvider.tsx";

interface Props {
  slug: string;
  /** The section in view (its heading's id), or null for the chapter's top. */
  anchor: string | null;
  /** The section's heading, for the button's and dialog's words. */
  sectionTitle: string;
}

/** The chapter toolbar's bookmark: the section in view, with an optional note, in a small dialog. */
export function BookmarkButton({ slug, anchor, sectionTitle }: Props) {
  const { bookmarks } = usePlace();
  const [editing, setEditing] = useState<{ anchor: string | null; title: string } | null>(null);
  const existing = bookmarks?.find((b) => b.chapterSlug === slug && b.anchor === anchor);
  return (
    <>
      <button
        type="button"
        className="button button-secondary button-small bookmark-button"
        aria-haspopup="dialog"
        aria-pressed={Boolean(existing)}
        onClick={() => setEditing({ anchor, title: sectionTitle })}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" width="16" height="16">
          <path d="M6 3.5h12v17l-6-4.5-6 4.5z" fill={existing ? "currentColor" : "none"} stroke="currentColor" strokeWidth="2" strokeLinejoin="round" />
        </svg>
        {existing ? "Bookmarked" : "Bookmark"}
        <span className="visually-hidden">: {sectionTitle}</span>
      </button>
      {editing && <BookmarkDialog slug={slug} anchor={editing.anchor} sectionTitle={editing.title} onClose={() => setEditing(null)} />}
    </>
  );
}

function BookmarkDialog({ slug, anchor, sectionTitle, onClose }: Props & { onClose(): void }) {
  const { bookmarks, bookmark, editNote, remove } = usePlace();
  const existing = bookmarks?.find((b) => b.chapterSlug === slug && b.anchor === anchor);
  const [note, setNote] = useState(existing?.note ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const announce = useAnnounce();
  const titleId = useId();
  const noteId = useId();
  const hintId = useId();

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const text = note.trim() ? note.trim() : null;
      if (existing) await editNote(existing.id, text);
      else await bookmark(slug, anchor, text);
      announce(`Bookmarked “${sectionTitle}”.`);
      onClose();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  async function onRemove() {
    if (!existing) return;
    setBusy(true);
    try {
      await remove(existing.id);
      announce(`Bookmark on “${sectionTitle}” removed.`);
      onClose();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <Dialog labelledBy={titleId} onClose={onClose} testId="bookmark-dialog">
      <h2 id={titleId}>{existing ? "Edit bookmark" : "Bookmark this section"}</h2>
      <p>{sectionTitle}</p>
      <form onSubmit={onSubmit} noValidate>
        <div className="field">
          <label htmlFor={noteId}>Note (optional)</label>
          <textarea id={noteId} data-autofocus rows={3} maxLength={MAX_BOOKMARK_NOTE} aria-describedby={hintId} value={note} onChange={(e) => setNote(e.target.value)} />
          <p id={hintId} className="field-hint">
            Up to {MAX_BOOKMARK_NOTE} characters; {MAX_BOOKMARK_NOTE - note.length} left.
          </p>
        </div>
        {error && <ErrorMessage>{error}</ErrorMessage>}
        <SubmitOrCancel busy={busy} busyLabel="Saving…" onCancel={onClose}>
          {existing ? "Save note" : "Add bookmark"}
        </SubmitOrCancel>
        {existing && (
          <button type="button" className="link-button bookmark-remove" onClick={onRemove} disabled={busy}>
            Remove bookmark
          </button>
        )}
      </form>
    </Dialog>
  );
}
