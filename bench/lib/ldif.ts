import { createHash, randomBytes } from 'node:crypto';

/**
 * The bench directory: `users` people and nested groups, four levels deep, so that every
 * login and refresh walks the same recursion a real directory asks for:
 *
 *   staff ⊃ div-0..2 ⊃ dept-00..14 ⊃ team-00..99 ∋ user   (member: DN)
 *   projects ⊃ proj-000..199 ∋ user (each user in two projects)
 *
 * Every user ends up in 7 groups (team, 2 projects, dept, projects, div, staff) after 4
 * levels of group searches plus one that finds nothing. Passwords are salted SHA-1 (`{SSHA}`),
 * as directories store them.
 */
export const DIRECTORY = {
  baseDN: 'dc=bench,dc=example',
  peopleDN: 'ou=People,dc=bench,dc=example',
  groupsDN: 'ou=Groups,dc=bench,dc=example',
  serviceDN: 'cn=sigil-svc,ou=Services,dc=bench,dc=example',
  servicePassword: 'svc-bench-secret',
} as const;

const TEAMS = 100;
const DEPTS = 15;
const DIVS = 3;
const PROJECTS = 200;

export function username(i: number): string {
  return `user${String(i).padStart(5, '0')}`;
}

export function password(i: number): string {
  return `pw-${String(i)}-bench`;
}

export function userDN(i: number): string {
  return `uid=${username(i)},${DIRECTORY.peopleDN}`;
}

function ssha(pw: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(pw).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const group = (cn: string) => `cn=${cn},${DIRECTORY.groupsDN}`;

function projectsOf(i: number): number[] {
  return [...new Set([i % PROJECTS, (i * 7 + 3) % PROJECTS])];
}

function groupEntry(cn: string, members: readonly string[]): string {
  return [
    `dn: ${group(cn)}`,
    'objectClass: groupOfNames',
    `cn: ${cn}`,
    ...members.map((m) => `member: ${m}`),
    '',
  ].join('\n');
}

/** The whole directory as LDIF for slapadd. */
export function directoryLdif(users: number): string {
  const out: string[] = [
    [
      `dn: ${DIRECTORY.baseDN}`,
      'objectClass: dcObject',
      'objectClass: organization',
      'o: sigil bench',
      'dc: bench',
      '',
    ].join('\n'),
    ...['Services', 'People', 'Groups'].map((ou) =>
      [`dn: ou=${ou},${DIRECTORY.baseDN}`, 'objectClass: organizationalUnit', `ou: ${ou}`, ''].join(
        '\n',
      ),
    ),
    [
      `dn: ${DIRECTORY.serviceDN}`,
      'objectClass: applicationProcess',
      'objectClass: simpleSecurityObject',
      'cn: sigil-svc',
      `userPassword: ${ssha(DIRECTORY.servicePassword)}`,
      '',
    ].join('\n'),
  ];
  const teamMembers: string[][] = Array.from({ length: TEAMS }, () => []);
  const projectMembers: string[][] = Array.from({ length: PROJECTS }, () => []);
  for (let i = 1; i <= users; i++) {
    const name = username(i);
    out.push(
      [
        `dn: ${userDN(i)}`,
        'objectClass: inetOrgPerson',
        `uid: ${name}`,
        `cn: Bench User ${String(i)}`,
        `sn: User ${String(i)}`,
        `mail: ${name}@bench.example`,
        `userPassword: ${ssha(password(i))}`,
        '',
      ].join('\n'),
    );
    teamMembers[i % TEAMS]!.push(userDN(i));
    for (const p of projectsOf(i)) projectMembers[p]!.push(userDN(i));
  }
  for (let t = 0; t < TEAMS; t++) out.push(groupEntry(`team-${pad(t, 2)}`, teamMembers[t]!));
  for (let d = 0; d < DEPTS; d++) {
    const teams = [];
    for (let t = d; t < TEAMS; t += DEPTS) teams.push(group(`team-${pad(t, 2)}`));
    out.push(groupEntry(`dept-${pad(d, 2)}`, teams));
  }
  for (let v = 0; v < DIVS; v++) {
    const depts = [];
    for (let d = v; d < DEPTS; d += DIVS) depts.push(group(`dept-${pad(d, 2)}`));
    out.push(groupEntry(`div-${String(v)}`, depts));
  }
  out.push(
    groupEntry(
      'staff',
      Array.from({ length: DIVS }, (_, v) => group(`div-${String(v)}`)),
    ),
  );
  for (let p = 0; p < PROJECTS; p++) {
    const members = projectMembers[p]!;
    // groupOfNames needs a member; a project nobody is in gets the service account.
    out.push(groupEntry(`proj-${pad(p, 3)}`, members.length > 0 ? members : [DIRECTORY.serviceDN]));
  }
  out.push(
    groupEntry(
      'projects',
      Array.from({ length: PROJECTS }, (_, p) => group(`proj-${pad(p, 3)}`)),
    ),
  );
  return out.join('\n');
}
