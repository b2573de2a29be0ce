import { Component, lazy, Suspense, useState, type ReactNode } from "react";
import { useChatUi } from "./ChatContext.tsx";

// The panel (marked, the stream reader, the chat views) loads the first time it opens: most visits are for reading.
const load = () => lazy(() => import("./ChatPanel.tsx"));

/** Where the chat panel sits in the layout. Once opened it stays mounted (hidden when closed), so a conversation and its stream survive closing. */
export function ChatSlot() {
  const { mounted, open, closeChat } = useChatUi();
  const [Panel, setPanel] = useState(load);
  if (!mounted) return null;
  return (
    <PanelBoundary
      fallback={(retry) => (
        <div className="chat-panel" hidden={!open} role="complementary" aria-label="Ask the book">
          <div className="chat-failed" role="alert">
            <p>The chat didn't load. Your connection may have dropped, or the site was just updated.</p>
            <p className="button-row">
              <button
                type="button"
                className="button button-primary"
                onClick={() => {
                  setPanel(load); // a fresh import(): the failed one is cached by lazy()
                  retry();
                }}
              >
                Try again
              </button>
              <button type="button" className="button button-secondary" onClick={() => closeChat()}>
                Close
              </button>
            </p>
          </div>
        </div>
      )}
    >
      <Suspense
        fallback={
          <div className="chat-panel" hidden={!open} aria-busy="true">
            <p className="chat-loading" role="status">
              Opening the chat…
            </p>
          </div>
        }
      >
        <Panel />
      </Suspense>
    </PanelBoundary>
  );
}

class PanelBoundary extends Component<{ children: ReactNode; fallback: (retry: () => void) => ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override componentDidCatch(error: unknown) {
    console.error("chat panel failed", error);
  }
  override render() {
    return this.state.failed ? this.props.fallback(() => this.setState({ failed: false })) : this.props.children;
  }
}
