import { SignJWT } from 'jose';
import { AUTH_ENV, LOCAL_DEV_JWT_SECRET } from '../../lambdas/config.js';
import { GRANTABLE_ACTIONS } from '../../lambdas/core/auth/grants.js';
import { isValidClientId, isValidName } from '../../lambdas/core/frames/names.js';
import { line, parseDuration, UsageError, type Command } from '../options.js';

/**
 * `qosgate token`: mints an HS256 JWT for local use (PROTOCOL §1 `token`), with the claims the
 * $connect authorizer reads: `clientId` (and `sub`), `controllers`, `actions`, `iat`, `exp`.
 * Against a deployed stage, sign with its secret (`--secret "$(aws secretsmanager get-secret-value
 * --secret-id <JwtSecretArn output> --query SecretString --output text)"`), or use your identity
 * provider's tokens when the stage verifies RS256 (qosgate:jwksUrl).
 */
export const token: Command = {
  name: 'token',
  summary: 'Mints an HS256 token (JWT) binding a clientId to controllers and actions, for npm start -- --auth or a stage you hold the secret of.',
  usage: 'qosgate token --client-id <id> --controllers monitor,sensor [--actions publish,subscribe] [--secret S] [--expires 1h]',
  options: {
    'client-id': { type: 'string', description: 'the clientId the token is bound to (required)', valueName: 'id' },
    controllers: { type: 'string', description: "controllers it may use, comma separated, or '*' for all (required)", valueName: 'list' },
    actions: { type: 'string', description: 'publish, subscribe or both (default publish,subscribe)', valueName: 'list' },
    secret: { type: 'string', description: `the HS256 key (default: $${AUTH_ENV.localSecret}, else the local dev key npm start uses)`, valueName: 'secret' },
    expires: { type: 'string', description: 'lifetime, e.g. 30m, 1h, 24h (default 1h)', valueName: 'duration' },
    issuer: { type: 'string', description: 'an iss claim (when the stage checks qosgate:jwtIssuer)', valueName: 'iss' },
    audience: { type: 'string', description: 'an aud claim (when the stage checks qosgate:jwtAudience)', valueName: 'aud' },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  },
  notes: [
    "Example: npx wscat -c \"ws://127.0.0.1:3001/dev?controllers=monitor&clientId=dev-7&token=$(npm run -s qosgate -- token --client-id dev-7 --controllers monitor --actions subscribe)\"",
    'or send it as a header: wscat -H "Authorization: Bearer <token>" ...',
  ].join('\n'),
  async run(values, _positionals, io) {
    const clientId = values['client-id'];
    if (typeof clientId !== 'string' || !isValidClientId(clientId)) throw new UsageError('--client-id is required: 1-128 of A-Za-z0-9._:-');
    if (typeof values.controllers !== 'string') throw new UsageError("--controllers is required (a comma list, or '*')");
    const controllers = list(values.controllers);
    const bad = controllers.filter((c) => c !== '*' && !isValidName(c));
    if (controllers.length === 0 || bad.length > 0) throw new UsageError(`--controllers: not controller names: ${bad.join(', ') || '(none)'}`);
    const actions = list(typeof values.actions === 'string' ? values.actions : GRANTABLE_ACTIONS.join(','));
    const unknown = actions.filter((a) => !(GRANTABLE_ACTIONS as readonly string[]).includes(a));
    if (actions.length === 0 || unknown.length > 0) throw new UsageError(`--actions must be publish and/or subscribe, not ${unknown.join(', ') || '(none)'}`);
    const expiresMs = parseDuration(typeof values.expires === 'string' ? values.expires : '1h');
    if (!(expiresMs >= 1000)) throw new UsageError('--expires must be at least 1s');

    let secret = typeof values.secret === 'string' ? values.secret : process.env[AUTH_ENV.localSecret];
    if (secret === undefined || secret === '') {
      secret = LOCAL_DEV_JWT_SECRET;
      line(io.stderr, `qosgate token: signed with the local dev key (npm start -- --auth); pass --secret or set ${AUTH_ENV.localSecret} for another`);
    }
    if (secret.length < 32) throw new UsageError('--secret must be at least 32 characters (the authorizer refuses shorter HS256 keys)');

    const jwt = new SignJWT({ clientId, controllers, actions })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(clientId)
      .setIssuedAt()
      .setExpirationTime(`${Math.round(expiresMs / 1000)}s`);
    if (typeof values.issuer === 'string') jwt.setIssuer(values.issuer);
    if (typeof values.audience === 'string') jwt.setAudience(values.audience);
    line(io.stdout, await jwt.sign(new TextEncoder().encode(secret)));
    return 0;
  },
};

function list(value: string): string[] {
  return [...new Set(value.split(',').map((v) => v.trim()).filter((v) => v !== ''))];
}
