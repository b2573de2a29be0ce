/**
 * deploy/nginx.conf, as shipped, with only what differs on this machine replaced: the upstream
 * addresses, the listen addresses, the certificate and the file paths. Every replacement must
 * match exactly as often as expected, so a change to the shipped file that this test would no
 * longer cover fails loudly instead of being run half-changed.
 */
import path from "node:path";

export interface NginxSite {
  upstreams: [string, string];
  listen: string;
  redirectListen: string;
  certificate: string;
  certificateKey: string;
  pidFile: string;
  errorLog: string;
  accessLog: string;
  tempDir: string;
}

export function renderNginxConfig(template: string, site: NginxSite): string {
  let conf = template;
  /** Replace every match of `pattern` (one directive per line), which must occur `times` times. */
  const replace = (pattern: RegExp, by: string | ((...groups: string[]) => string), times = 1) => {
    const all = new RegExp(pattern.source, "gm");
    const found = conf.match(all)?.length ?? 0;
    if (found !== times) throw new Error(`deploy/nginx.conf: expected ${times} match(es) of ${pattern}, found ${found}`);
    conf = conf.replace(all, by as string);
  };
  let upstream = 0;
  replace(/^(\s*)server \S+:\d+( .*)?;$/m, (_m, indent: string, rest = "") => `${indent}server ${site.upstreams[upstream++]}${rest};`, 2);
  replace(/^(\s*)listen 80;$/m, (_m, indent: string) => `${indent}listen ${site.redirectListen};`);
  replace(/^(\s*)listen 443 (.*);$/m, (_m, indent: string, rest: string) => `${indent}listen ${site.listen} ${rest};`);
  replace(/^(\s*)ssl_certificate\s+\S+;$/m, (_m, indent: string) => `${indent}ssl_certificate ${site.certificate};`);
  replace(/^(\s*)ssl_certificate_key\s+\S+;$/m, (_m, indent: string) => `${indent}ssl_certificate_key ${site.certificateKey};`);
  replace(/^pid \S+;$/m, `pid ${site.pidFile};`);
  replace(/^error_log \S+ (\w+);$/m, (_m, level: string) => `error_log ${site.errorLog} ${level};`);
  replace(/^(\s*)access_log \S+ (\w+);$/m, (_m, indent: string, format: string) => `${indent}access_log ${site.accessLog} ${format};`);
  replace(/^(\s*)(\w+_temp_path)\s+\S+\/(\w+);$/m, (_m, indent: string, directive: string, leaf: string) => `${indent}${directive} ${path.join(site.tempDir, leaf)};`, 5);
  return conf;
}
