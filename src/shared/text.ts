/** Text checks the server and the browser share. */

const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{M}]/gu;

/** True when `text` shows something: not only spaces, marks, joiners or direction controls. */
export function hasVisibleText(text: string): boolean {
  return text.replace(INVISIBLE, "") !== "";
}
