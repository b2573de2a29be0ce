/**
 * The header our edge middleware sets from the socket address (or a trusted proxy's
 * X-Forwarded-For) before Better Auth sees the request. Any incoming copy is dropped first,
 * so a client cannot choose its own IP.
 */
export const CLIENT_IP_HEADER = "x-aibook-client-ip";
