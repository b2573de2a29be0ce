import { ApiError } from "../api/api-error.ts";
import { errorMessage, formatWait } from "../api/error-messages.ts";

/**
 * Chat problems in words, keyed on the server's codes (src/server/chat/*). A stored answer keeps
 * only its code, so these are also what a reloaded chat shows for a failed answer.
 */
const ANSWER_PROBLEMS: Record<string, string> = {
  PROVIDER_TIMEOUT: "The AI service took too long to answer.",
  PROVIDER_RATE_LIMITED: "The AI service is busy right now. Wait a minute and try again.",
  PROVIDER_UNAVAILABLE: "The AI service couldn't be reached, or it broke off while answering.",
  PROVIDER_REJECTED: "The AI service couldn't handle this question.",
  PROVIDER_BAD_RESPONSE: "The AI service sent an answer we couldn't read.",
  ANSWER_FAILED: "Something went wrong while answering.",
  INTERRUPTED: "This answer was stopped before it was finished.",
  NETWORK_ERROR: "The connection was lost while the answer was being written.",
};

/** Why a stored answer failed. */
export function answerProblem(code: string | null | undefined): string {
  return (code && ANSWER_PROBLEMS[code]) || ANSWER_PROBLEMS.ANSWER_FAILED!;
}

/** Errors of chat requests (sending, listing, renaming...) for the reader. */
export function chatErrorMessage(e: unknown, { maxChars }: { maxChars?: number } = {}): string {
  if (!(e instanceof ApiError)) return errorMessage(e);
  switch (e.code) {
    case "MESSAGE_EMPTY":
      return "Write a question first.";
    case "MESSAGE_TOO_LONG":
      return maxChars ? `Questions can be up to ${maxChars.toLocaleString("en")} characters. Shorten yours and send it again.` : e.message;
    case "CHAT_NOT_FOUND":
      return "This chat no longer exists. It may have been deleted in another tab.";
    case "NOTHING_TO_RETRY":
      return "This answer can't be retried any more: the chat has been brought up to date.";
    case "UNAUTHORIZED":
      return "Your session has ended. Start a new chat to carry on.";
    case "RATE_LIMITED":
      return "You're sending questions faster than we can answer them.";
    case "CHAT_QUOTA_EXCEEDED":
      return e.message || `You have used today's questions.${e.retryAfter ? ` Try again in ${formatWait(e.retryAfter)}.` : ""}`;
    default:
      return errorMessage(e);
  }
}
