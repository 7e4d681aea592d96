// The OAUTHBEARER validator of one SASL listener, from Kafka's keys. Each key is looked up as Kafka's channel builder
// does: listener.name.<l>.oauthbearer.<key>, then listener.name.<l>.<key>, then <key>. With
// sasl.oauthbearer.jwks.endpoint.url (a file: URL) tokens must be signed JWTs; without it, the listener runs Kafka's
// default unsecured validator (alg "none", development only), configured by the JAAS `unsecuredValidator*` options.
import type { BrokerConfig, Listener } from '../config/broker-config.ts';
import { ConfigError } from '../config/errors.ts';
import { JaasError, OAUTHBEARER_LOGIN_MODULE, parseJaasConfig } from './jaas.ts';
import { JwksFile, type JwksLog, jwksUrlProblem } from './jwks.ts';
import {
  JWT_VALIDATOR_CLASSES,
  JwtValidator,
  TokenError,
  type TokenValidator,
  UNSECURED_VALIDATOR_CLASS,
  UnsecuredValidator,
  unsecuredOptions,
} from './oauthbearer.ts';

export interface ListenerOAuth {
  readonly kind: 'unsecured' | 'jwt';
  readonly validator: TokenValidator;
}

export function listenerOAuth(cfg: BrokerConfig, listener: Listener, log?: JwksLog): ListenerOAuth {
  const name = listener.name.toLowerCase();
  const keyOf = (key: string) =>
    [`listener.name.${name}.oauthbearer.${key}`, `listener.name.${name}.${key}`, key].find((k) => cfg.isSet(k)) ?? key;
  const value = (key: string) => cfg.get(keyOf(key));

  const jaasKey = keyOf('sasl.jaas.config');
  const jaasText = cfg.get(jaasKey) as string | null;
  if (jaasText === null || jaasText === undefined)
    throw new ConfigError(
      `listener.name.${name}.oauthbearer.sasl.jaas.config`,
      null,
      `listener ${listener.name} enables OAUTHBEARER: set a ${OAUTHBEARER_LOGIN_MODULE} required; entry`,
    );
  let options: ReadonlyMap<string, string>;
  try {
    const entry = parseJaasConfig(jaasText);
    if (entry.loginModule !== OAUTHBEARER_LOGIN_MODULE)
      throw new JaasError(`OAUTHBEARER needs ${OAUTHBEARER_LOGIN_MODULE}, not ${entry.loginModule}`);
    options = entry.options;
  } catch (e) {
    if (!(e instanceof JaasError)) throw e;
    throw new ConfigError(jaasKey, '[hidden]', e.message);
  }

  const handlerKey = keyOf('sasl.server.callback.handler.class');
  const handler = cfg.get(handlerKey) as string | null;
  const urlKey = keyOf('sasl.oauthbearer.jwks.endpoint.url');
  const url = cfg.get(urlKey) as string | null;
  if (handler !== null && handler !== UNSECURED_VALIDATOR_CLASS && !JWT_VALIDATOR_CLASSES.includes(handler))
    throw new ConfigError(
      handlerKey,
      handler,
      `Tributary loads no classes: use ${JWT_VALIDATOR_CLASSES[0]} (signed JWTs, with sasl.oauthbearer.jwks.endpoint.url) or leave it unset (the unsecured validator)`,
    );
  if (handler === UNSECURED_VALIDATOR_CLASS && url !== null)
    throw new ConfigError(handlerKey, handler, `the unsecured validator checks no signature: unset ${urlKey}`);

  if (url === null) {
    if (handler !== null && handler !== UNSECURED_VALIDATOR_CLASS)
      throw new ConfigError(urlKey, null, `${handler} validates signed JWTs: set the JWKS (a file: URL)`);
    try {
      return { kind: 'unsecured', validator: new UnsecuredValidator(unsecuredOptions(options)) };
    } catch (e) {
      if (!(e instanceof TokenError)) throw e;
      throw new ConfigError(jaasKey, '[hidden]', e.message);
    }
  }

  const problem = jwksUrlProblem(url);
  if (problem !== undefined) throw new ConfigError(urlKey, url, problem);
  const issuer = value('sasl.oauthbearer.expected.issuer') as string | null;
  const audience = value('sasl.oauthbearer.expected.audience') as string[];
  // As Kafka's BrokerJwtValidator: the issuer and the audience are checked unless explicitly waived.
  if (issuer === null && value('sasl.oauthbearer.allow.unverified.issuer') !== true)
    throw new ConfigError(
      keyOf('sasl.oauthbearer.expected.issuer'),
      null,
      'set the issuer signed tokens must have (or sasl.oauthbearer.allow.unverified.issuer=true)',
    );
  if (audience.length === 0 && value('sasl.oauthbearer.allow.unverified.audience') !== true)
    throw new ConfigError(
      keyOf('sasl.oauthbearer.expected.audience'),
      '',
      'set the audience signed tokens must name (or sasl.oauthbearer.allow.unverified.audience=true)',
    );
  let jwks: JwksFile;
  try {
    jwks = new JwksFile(url, value('sasl.oauthbearer.jwks.endpoint.refresh.ms') as number, log);
  } catch (e) {
    if (!(e instanceof TokenError)) throw e;
    throw new ConfigError(urlKey, url, e.message);
  }
  return {
    kind: 'jwt',
    validator: new JwtValidator(jwks, {
      issuer,
      audience,
      clockSkewSeconds: value('sasl.oauthbearer.clock.skew.seconds') as number,
      scopeClaim: value('sasl.oauthbearer.scope.claim.name') as string,
      subClaim: value('sasl.oauthbearer.sub.claim.name') as string,
    }),
  };
}
