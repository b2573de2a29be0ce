import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { errorMessage } from "../api/error-messages.ts";
import { useAuth } from "../auth/AuthProvider.tsx";
import { AccountNav } from "../account/AccountNav.tsx";
import { MAX_BOOKMARK_NOTE } from "../../shared/api/place.ts";
import { useAnnounce } from "../ui/Announcer.tsx";
import { ErrorMessage, LoadFailed, SkeletonLines, useDocumentTitle } from "../ui/bits.tsx";
import { usePlace } from "./PlaceProvider.tsx";
import type { Bookmark } from "./place-api.ts";

/**
 * `/account/bookmarks`: the reader's bookmarks, newest first, each with its note (edited in place)
 * and a link to its section. Guests have bookmarks too, so no sign-in is asked for.
 */
export default function BookmarksPage() {
  const { state } = useAuth();
  const { bookmarks, bookmarksError, reloadBookmarks } = usePlace();
  useDocumentTitle("Bookmarks");
  return (
    <div className="page-content bookmarks-page">
      {state.status === "signed-in" && <AccountNav />}
      <h1>Bookmarks</h1>
      {bookmarksError ? (
        <LoadFailed message={`Your bookmarks didn't load: ${errorMessage(bookmarksError)}`} onRetry={reloadBookmarks} />
      ) : bookmarks === null ? (
        <SkeletonLines lines={4} label="Loading your bookmarks…" />
      ) : bookmarks.length === 0 ? (
        <p className="empty-state">No bookmarks yet. Use the Bookmark button at the top of a chapter to keep a section here, with a note if you like.</p>
      ) : (
        <ul className="bookmark-list">
          {bookmarks.map((b) => (
            <BookmarkItem key={b.id} bookmark={b} />
          ))}
        </ul>
      )}
      {state.status === "signed-out" && bookmarks && bookmarks.length > 0 && (
        <p className="field-hint">Your bookmarks are kept in this browser's guest session. Sign in or create an account to keep them for good.</p>
      )}
    </div>
  );
}

function BookmarkItem({ bookmark: b }: { bookmark: Bookmark }) {
  const { editNote, remove } = usePlace();
  const announce = useAnnounce();
  const [editing, setEditing] = useState(false);
  const [note, setNote] = useState(b.note ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const noteId = useId();
  const where = b.sectionTitle ? `${b.chapterTitle ?? b.chapterSlug} › ${b.sectionTitle}` : (b.chapterTitle ?? b.chapterSlug);

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await editNote(b.id, note.trim() ? note.trim() : null);
      setEditing(false);
      announce("Note saved.");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function onRemove() {
    setBusy(true);
    try {
      await remove(b.id);
      announce(`Bookmark on “${where}” removed.`);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <li className="bookmark-item">
      <Link to={b.url} className="bookmark-link">
        {where}
      </Link>
      {b.chapterTitle === null && <span className="field-hint"> (this chapter is no longer in the book)</span>}
      {editing ? (
        <form onSubmit={save} className="bookmark-note-form">
          <label htmlFor={noteId}>Note</label>
          <textarea id={noteId} rows={2} maxLength={MAX_BOOKMARK_NOTE} value={note} onChange={(e) => setNote(e.target.value)} autoFocus />
          <div className="button-row">
            <button type="submit" className="button button-primary button-small" disabled={busy}>
              Save note
            </button>
            <button type="button" className="button button-secondary button-small" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <>
          {b.note && <p className="bookmark-note">{b.note}</p>}
          <div className="button-row">
            <button type="button" className="link-button" onClick={() => setEditing(true)}>
              {b.note ? "Edit note" : "Add a note"}
              <span className="visually-hidden">: {where}</span>
            </button>
            <button type="button" className="link-button" onClick={onRemove} disabled={busy}>
              Remove
              <span className="visually-hidden">: {where}</span>
            </button>
          </div>
        </>
      )}
      {error && <ErrorMessage>{error}</ErrorMessage>}
    </li>
  );
}
