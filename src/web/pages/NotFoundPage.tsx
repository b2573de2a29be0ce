import { Link } from "react-router";
import { useDocumentTitle } from "../ui/bits.tsx";

export function NotFoundPage() {
  useDocumentTitle("Page not found");
  return (
    <div className="page-content narrow">
      <h1>Page not found</h1>
      <p className="lead">There is nothing at this address. It may have moved, or the link may be mistyped.</p>
      <p>
        <Link to="/" className="button button-primary">
          Go to the book
        </Link>
      </p>
    </div>
  );
}
