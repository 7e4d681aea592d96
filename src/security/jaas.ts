// Kafka's `sasl.jaas.config` values: `<LoginModule class> <flag> key="value" ... ;`. Only the login modules Tributary
// implements itself are accepted; no configuration ever names code to load (the JNDI/LDAP login-module CVEs).
export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';
export const SCRAM_LOGIN_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';
export const OAUTHBEARER_LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule';
const KNOWN_MODULES = [PLAIN_LOGIN_MODULE, SCRAM_LOGIN_MODULE, OAUTHBEARER_LOGIN_MODULE];
const FLAGS = ['required', 'requisite', 'sufficient', 'optional'];

export interface JaasEntry {
  readonly loginModule: string;
  readonly flag: string;
  readonly options: ReadonlyMap<string, string>;
}

export class JaasError extends Error {
  override name = 'JaasError';
}

/** Parses one JAAS login module entry as Kafka's JaasConfig does (exactly one module, ending with ';'). */
export function parseJaasConfig(text: string): JaasEntry {
  let i = 0;
  const space = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const word = (): string => {
    space();
    const m = /^[^\s=;"]+/.exec(text.slice(i));
    if (!m) throw new JaasError(`Expected a name at position ${i} of the JAAS configuration`);
    i += m[0].length;
    return m[0];
  };
  const value = (): string => {
    space();
    if (text[i] !== '"') return word();
    i++;
    let out = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      out += text[i++];
    }
    if (text[i] !== '"') throw new JaasError('Unterminated quoted value in the JAAS configuration');
    i++;
    return out;
  };
  const loginModule = word();
  if (!KNOWN_MODULES.includes(loginModule))
    throw new JaasError(`Login module ${loginModule} is not supported (supported: ${KNOWN_MODULES.join(', ')})`);
  const flag = word().toLowerCase();
  if (!FLAGS.includes(flag)) throw new JaasError(`Invalid control flag '${flag}' in the JAAS configuration`);
  const options = new Map<string, string>();
  for (;;) {
    space();
    if (text[i] === ';') break;
    if (i >= text.length) throw new JaasError("JAAS configuration entry must end with ';'");
    const key = word();
    space();
    if (text[i] !== '=') throw new JaasError(`Expected '=' after ${key} in the JAAS configuration`);
    i++;
    options.set(key, value());
  }
  i++;
  space();
  if (i < text.length) throw new JaasError('JAAS configuration must contain exactly one login module');
  return { loginModule, flag, options };
}

/** PLAIN users: the `user_<name>="<password>"` options of a PlainLoginModule entry. */
export function plainUsers(entry: JaasEntry): Map<string, string> {
  const users = new Map<string, string>();
  for (const [k, v] of entry.options) if (k.startsWith('user_')) users.set(k.slice('user_'.length), v);
  return users;
}
