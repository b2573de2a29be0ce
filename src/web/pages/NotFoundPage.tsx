import { MessagePage } from "../ui/bits.tsx";

export function NotFoundPage() {
  return <MessagePage title="Page not found" lead="There is nothing at this address. It may have moved, or the link may be mistyped." />;
}
