import { createContext, use, useCallback, useEffect, useState, type ReactNode } from "react";
import { setSiteTitle } from "../ui/bits.tsx";
import { fetchBook, type Book } from "./book-api.ts";

/** The book's title and table of contents, loaded once for the header, the drawer and the home page. */
export type BookState =
  | { status: "loading"; book: null; error: null }
  | { status: "ready"; book: Book; error: null }
  | { status: "error"; book: null; error: unknown };

interface BookContextValue {
  state: BookState;
  retry(): void;
}

const BookContext = createContext<BookContextValue | null>(null);

export function BookProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<BookState>({ status: "loading", book: null, error: null });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const ctrl = new AbortController();
    setState({ status: "loading", book: null, error: null });
    fetchBook(ctrl.signal).then(
      (book) => {
        setSiteTitle(book.title);
        setState({ status: "ready", book, error: null });
      },
      (error: unknown) => {
        if (!ctrl.signal.aborted) setState({ status: "error", book: null, error });
      },
    );
    return () => ctrl.abort();
  }, [attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return <BookContext value={{ state, retry }}>{children}</BookContext>;
}

export function useBook(): BookContextValue {
  const ctx = use(BookContext);
  if (!ctx) throw new Error("useBook must be used inside <BookProvider>");
  return ctx;
}
