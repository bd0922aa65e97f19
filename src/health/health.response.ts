import { ApiProperty } from '@nestjs/swagger';

/** Liveness: the process answers. */
export class HealthResponse {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: 'ok';
}
