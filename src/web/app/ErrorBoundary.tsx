import { Component, type ErrorInfo, type ReactNode } from "react";

/**
 * Last line of defence around the whole app (the router's own error pages handle the rest):
 * never a blank page, always a retry.
 */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error("AI Book crashed", error, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <main id="main" className="page-content narrow crash">
        <h1>Something went wrong</h1>
        <p className="lead">AI Book ran into a problem and couldn't show this page.</p>
        <p className="button-row">
          <button type="button" className="button button-primary" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
          <button type="button" className="button button-secondary" onClick={() => window.location.reload()}>
            Reload the page
          </button>
        </p>
      </main>
    );
  }
}
