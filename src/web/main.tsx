import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";
import { AuthProvider } from "./auth/AuthProvider.tsx";
import { BookProvider } from "./book/BookProvider.tsx";
import { PlaceProvider } from "./place/PlaceProvider.tsx";
import { ErrorBoundary } from "./app/ErrorBoundary.tsx";
import { router } from "./app/router.tsx";
import { applyTheme, storedTheme, watchTheme } from "./theme/theme.ts";
import "./styles.css";

// theme-init.js already set the theme before paint; this keeps it in step afterwards.
applyTheme(storedTheme(), { persist: false });
watchTheme();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ErrorBoundary>
      <AuthProvider>
        <BookProvider>
          <PlaceProvider>
            <RouterProvider router={router} />
          </PlaceProvider>
        </BookProvider>
      </AuthProvider>
    </ErrorBoundary>
  </StrictMode>,
);
