import { useEffect, useRef, useState } from "react";
import { recoveryCodesText, RECOVERY_CODES_FILE_NAME } from "./two-factor-setup.ts";

/**
 * Recovery codes, shown once (the server keeps no readable copy for us to show again): the list,
 * a download of them as a text file, and "I have saved them" to go on.
 */
export function RecoveryCodes({ codes, account, intro, onDone }: { codes: readonly string[]; account: string; intro: string; onDone(): void }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [href, setHref] = useState<string | null>(null);
  useEffect(() => headingRef.current?.focus(), []);
  useEffect(() => {
    const text = recoveryCodesText({ codes, account, createdAt: new Date() });
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    setHref(url);
    return () => URL.revokeObjectURL(url);
  }, [codes, account]);

  return (
    <div className="two-factor-step">
      <h3 ref={headingRef} tabIndex={-1}>
        Save your recovery codes
      </h3>
      <p>{intro}</p>
      <p>
        If you lose the phone with your authenticator app, each code signs you in once in place of a code from the app. We show them
        only now: download them or write them down, and keep them somewhere safe.
      </p>
      <ul className="recovery-code-list" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <div className="button-row">
        {href && (
          <a className="button button-secondary" href={href} download={RECOVERY_CODES_FILE_NAME}>
            Download<span className="visually-hidden"> recovery codes</span>
          </a>
        )}
        <button type="button" className="button button-primary" onClick={onDone}>
          I have saved them
        </button>
      </div>
    </div>
  );
}
