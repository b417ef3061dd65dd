import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { ChatClaims } from './claims.js';

/**
 * A stand-in for your sign-in: anyone gets a token for any name. Replace it with your own
 * authentication; the gateway does not change.
 */
@Controller('token')
export class TokenController {
  constructor(private readonly jwt: JwtService) {}

  @Get()
  async issue(@Query('name') name: string | undefined, @Query('role') role: string | undefined): Promise<{ token: string }> {
    if (!name || !/^[\w-]{1,32}$/.test(name)) throw new BadRequestException('name: 1-32 letters, digits, _ or -');
    const claims: ChatClaims = { sub: `user-${name}`, name, role: role === 'admin' ? 'admin' : 'member' };
    return { token: await this.jwt.signAsync(claims) };
  }
}
