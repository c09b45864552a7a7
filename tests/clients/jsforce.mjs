// jsforce 3 against `sagediag sim --tls`: ordinary calls, one line each: client|call|PASS|FAIL|detail.
// NODE_EXTRA_CA_CERTS names the simulator's CA; SIM_JSON holds its ready line.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(process.env.CLIENTS_NODE_DIR + '/');
const jsforce = require('jsforce');
const sim = JSON.parse(fs.readFileSync(process.env.SIM_JSON, 'utf8'));

async function check(call, fn) {
  try {
    const detail = await fn();
    console.log(`jsforce ${jsforce.VERSION}|${call}|PASS|${detail ?? ''}`);
  } catch (e) {
    console.log(`jsforce ${jsforce.VERSION}|${call}|FAIL|${String(e && (e.errorCode || e.name) || '')}: ${String(e && e.message || e).split('\n').join(' ').slice(0, 160)}`);
  }
}

const oauth2 = new jsforce.OAuth2({
  loginUrl: sim.login_url,
  clientId: sim.client_id,
  clientSecret: sim.client_secret,
  redirectUri: sim.callback_url,
});
const conn = new jsforce.Connection({ oauth2, version: '62.0' });
let userId;

await check('OAuth2 password login', async () => {
  const info = await conn.login(sim.username, sim.password);
  userId = info.id;
  if (!conn.instanceUrl.startsWith('https://localhost:')) throw new Error(`instanceUrl ${conn.instanceUrl}`);
  return `user ${info.id} org ${info.organizationId}`;
});
await check('query', async () => {
  const r = await conn.query('SELECT Id, Username FROM User');
  if (r.totalSize < 1 || !r.records[0].Username) throw new Error(JSON.stringify(r));
  return `${r.totalSize} record(s)`;
});
const TEAM = 'SELECT Id, Name FROM fHCM2__Team_Member__c';
const BATCH_200 = { 'Sforce-Query-Options': 'batchSize=200' };
await check('query paging (autoFetch, batchSize=200)', async () => {
  const first = await conn.query(TEAM, { headers: BATCH_200 });
  if (first.done !== false || !first.nextRecordsUrl || first.records.length !== 200) {
    throw new Error(`first page done=${first.done} records=${first.records.length}`);
  }
  const more = await conn.queryMore(first.nextRecordsUrl, { headers: BATCH_200 });
  const all = await conn.query(TEAM, { autoFetch: true, maxFetch: 100000, headers: BATCH_200 });
  if (all.records.length !== all.totalSize) throw new Error(`${all.records.length}/${all.totalSize}`);
  return `${all.totalSize} Team Members; pages of ${first.records.length} + ${more.records.length}`;
});
await check('queryAll (scanAll)', async () => {
  const r = await conn.query(TEAM, { scanAll: true, autoFetch: true, maxFetch: 100000 });
  return `${r.records.length} record(s)`;
});
await check('stale query locator', async () => {
  try {
    await conn.queryMore('01g5g0000000000AAA-2000');
  } catch (e) {
    if (e.errorCode === 'INVALID_QUERY_LOCATOR' || e.name === 'INVALID_QUERY_LOCATOR') return 'errorCode INVALID_QUERY_LOCATOR';
    throw e;
  }
  throw new Error('no error');
});
await check('Organization with TrialExpirationDate (sf CLI query)', async () => {
  const r = await conn.query('Select Id, Name, TrialExpirationDate from Organization');
  if (r.totalSize !== 1 || !('TrialExpirationDate' in r.records[0])) throw new Error(JSON.stringify(r));
  return `TrialExpirationDate ${r.records[0].TrialExpirationDate}`;
});
await check('semi-join', async () => {
  const r = await conn.query('SELECT Id FROM Profile WHERE Id IN (SELECT ProfileId FROM User WHERE IsActive = true)');
  if (r.totalSize < 1) throw new Error(JSON.stringify(r));
  return `${r.totalSize} profile(s)`;
});
await check('CreatedDate < TOMORROW on User', async () => {
  const r = await conn.query('SELECT Id, CreatedDate FROM User WHERE CreatedDate < TOMORROW');
  if (r.totalSize < 1 || !r.records[0].CreatedDate) throw new Error(JSON.stringify(r));
  return `${r.totalSize} user(s)`;
});
await check('limits/recordCount', async () => {
  const r = await conn.request(`/services/data/v${conn.version}/limits/recordCount?sObjects=User,Account`);
  if (!Array.isArray(r.sObjects) || r.sObjects.length !== 2) throw new Error(JSON.stringify(r));
  return r.sObjects.map((o) => `${o.name} ${o.count}`).join(', ');
});
await check('oauth2/singleaccess (sf org open)', async () => {
  const r = await conn.request(`${conn.instanceUrl}/services/oauth2/singleaccess`);
  if (!String(r.frontdoor_uri).includes('/secur/frontdoor.jsp?')) throw new Error(JSON.stringify(r));
  return 'frontdoor_uri';
});
await check('query count()', async () => {
  const r = await conn.query('SELECT count() FROM User');
  return `totalSize ${r.totalSize}`;
});
await check('identity', async () => {
  const id = await conn.identity();
  if (id.user_id !== userId) throw new Error(`user_id ${id.user_id}`);
  return id.username;
});
await check('describeGlobal', async () => {
  const g = await conn.describeGlobal();
  return `${g.sobjects.length} sobjects`;
});
await check('sobject describe', async () => {
  const d = await conn.sobject('User').describe();
  return `${d.fields.length} fields`;
});
await check('sobject retrieve', async () => {
  const r = await conn.sobject('User').retrieve(userId);
  if (r.Id !== userId) throw new Error(JSON.stringify(r));
  return r.Username;
});
await check('limits', async () => {
  const l = await conn.limits();
  return `DailyApiRequests ${l.DailyApiRequests.Remaining}/${l.DailyApiRequests.Max}`;
});
await check('apex GET spapi/v4/employees', async () => {
  const r = await conn.apex.get('/spapi/v4/employees');
  return `${r.data.length} employees, version ${r.version}`;
});
await check('sObject collection update (PATCH composite/sobjects)', async () => {
  // The integration user may not unfreeze anyone: each record answers why, in order.
  const logins = await conn.query(`SELECT Id FROM UserLogin WHERE UserId = '${userId}'`);
  const id = logins.records[0].Id;
  const rets = await conn.sobject('UserLogin').update(
    [{ Id: id, IsFrozen: false }, { Id: id, IsFrozen: false }],
    { allOrNone: false },
  );
  if (rets.length !== 2 || rets[0].success !== false) throw new Error(JSON.stringify(rets));
  const code = rets[0].errors[0].errorCode || rets[0].errors[0].statusCode;
  return `2 results, ${code}`;
});
await check('MALFORMED_QUERY error', async () => {
  try {
    await conn.query('SELECT FROM User');
  } catch (e) {
    if (e.errorCode === 'MALFORMED_QUERY' || e.name === 'MALFORMED_QUERY') return 'errorCode MALFORMED_QUERY';
    throw e;
  }
  throw new Error('no error');
});
await check('SOAP login', async () => {
  const soap = new jsforce.Connection({ loginUrl: sim.login_url, version: '62.0' });
  const info = await soap.login(sim.username, sim.password);
  await soap.query('SELECT Id FROM User LIMIT 1');
  return `user ${info.id}`;
});
await check('SOAP login fault', async () => {
  const soap = new jsforce.Connection({ loginUrl: sim.login_url, version: '62.0' });
  try {
    await soap.login(sim.username, 'wrong');
  } catch (e) {
    if (String(e.message).includes('INVALID_LOGIN')) return 'INVALID_LOGIN';
    throw e;
  }
  throw new Error('no error');
});
await check('logout (revoke)', async () => {
  await conn.logout();
  return 'revoked';
});
