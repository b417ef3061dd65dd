/** What this app's tokens carry. */
export interface ChatClaims {
  sub: string;
  name: string;
  role: 'member' | 'admin';
}
