import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiResponse, ApiSecurity, getSchemaPath } from '@nestjs/swagger';
import { ProblemDto } from './problem.dto';

const problem = (status: number, description: string) =>
  ApiResponse({ status, description, content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } } });

/** The error answers every authenticated endpoint can give. */
export function ApiProblems(...extra: [number, string][]) {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    problem(400, 'validation_failed'),
    problem(401, 'unauthorized'),
    problem(403, 'forbidden'),
    ...extra.map(([s, d]) => problem(s, d)),
  );
}

export const ApiAuth = () => applyDecorators(ApiBearerAuth(), ApiSecurity('api-key'));
