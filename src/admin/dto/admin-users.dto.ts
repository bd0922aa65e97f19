import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { ListQueryDto } from '../../common/list-query.dto';

export class ListUsersQueryDto extends ListQueryDto {
  /** Part of the user's email or name (case-insensitive, `%` and `_` literal), or the user's id. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  /** true: only disabled accounts; false: only enabled ones. */
  @IsOptional()
  @IsIn(['true', 'false'])
  disabled?: 'true' | 'false';
}
