import { useCallback, useEffect, useRef, useState } from "react";
import { Link, Outlet, ScrollRestoration, useLocation } from "react-router";
import { AuthDialogsProvider } from "../auth/AuthDialogs.tsx";
import { ConfirmIdentityPrompt } from "../auth/ConfirmIdentityDialog.tsx";
import { ChatProvider, useChatUi, useMediaQuery } from "../chat/ChatContext.tsx";
import { ChatSlot } from "../chat/ChatSlot.tsx";
import { AnnouncerProvider } from "../ui/Announcer.tsx";
import { Header } from "./Header.tsx";
import { Toc } from "./Toc.tsx";
import { SearchDialog, useSearchShortcut } from "../place/SearchDialog.tsx";

const WIDE = "(min-width: 1100px)";
const SIDEBAR_KEY = "aibook.toc";

function initialSidebar(): boolean {
  try {
    return localStorage.getItem(SIDEBAR_KEY) !== "closed";
  } catch {
    return true;
  }
}

/** Skip link, header, contents (sidebar or drawer), main, the chat panel, footer: the frame of every page. */
export function Layout() {
  return (
    <AnnouncerProvider>
      <AuthDialogsProvider>
        <ChatProvider>
          <Frame />
        </ChatProvider>
        <ConfirmIdentityPrompt />
      </AuthDialogsProvider>
    </AnnouncerProvider>
  );
}

function Frame() {
  const chat = useChatUi();
  const wide = useMediaQuery(WIDE);
  const [sidebarOpen, setSidebarOpen] = useState(initialSidebar);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const tocOpen = wide ? sidebarOpen : drawerOpen;
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);

  const toggleToc = useCallback(() => {
    if (wide) {
      setSidebarOpen((o) => {
        try {
          localStorage.setItem(SIDEBAR_KEY, o ? "closed" : "open");
        } catch {
          /* ignore */
        }
        return !o;
      });
    } else setDrawerOpen((o) => !o);
  }, [wide]);
  const closeDrawer = useCallback(() => setDrawerOpen(false), []);
  const [searching, setSearching] = useState(false);
  const openSearch = useCallback(() => setSearching(true), []);
  const closeSearch = useCallback(() => setSearching(false), []);
  useSearchShortcut(openSearch);

  // A new page: close the drawer and move focus to the page (not on first load, nor for #anchors),
  // so keyboard and screen-reader users start at its content.
  const first = useRef(true);
  useEffect(() => {
    setDrawerOpen(false);
    if (first.current) {
      first.current = false;
      return;
    }
    if (!location.hash) mainRef.current?.focus({ preventScroll: true });
  }, [location.pathname, location.hash]);

  // On a phone the open chat covers everything (it has its own close button): the rest is inert.
  const modalChat = chat.modal && chat.open;
  const modalDrawer = !wide && drawerOpen && !modalChat;
  const behind = modalDrawer || modalChat;
  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          mainRef.current?.focus();
          mainRef.current?.scrollIntoView();
        }}
      >
        Skip to content
      </a>
      <div className="page" data-toc={tocOpen ? "open" : "closed"} data-layout={wide ? "wide" : "narrow"}>
        <div className="page-header" inert={behind}>
          <Header tocOpen={tocOpen} onToggleToc={toggleToc} onSearch={openSearch} />
        </div>
        <div className="shell" data-chat={chat.open ? "open" : "closed"}>
          <Toc open={tocOpen} drawer={!wide} onClose={closeDrawer} />
          {modalDrawer && <div className="backdrop" onClick={closeDrawer} aria-hidden="true" />}
          <main id="main" ref={mainRef} tabIndex={-1} inert={behind}>
            <Outlet />
          </main>
          <ChatSlot />
        </div>
        <footer className="site-footer" inert={behind}>
          <p>
            AI Book · <Link to="/">Home</Link>
          </p>
        </footer>
      </div>
      {searching && <SearchDialog onClose={closeSearch} />}
      <ScrollRestoration />
    </>
  );
}
