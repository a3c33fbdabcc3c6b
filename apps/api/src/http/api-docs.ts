import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiResponse, ApiSecurity, getSchemaPath } from '@nestjs/swagger';
import { DeclareProblems, ErrorCode, statusOf } from '@huanxin/core';
import { ProblemDto } from './problem.dto';

const problem = (status: number, description: string) =>
  ApiResponse({ status, description, content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } } });

/** A code the route answers, optionally with a note for the OpenAPI description: `['duplicate', 'code already used']`. */
export type ProblemDeclaration = ErrorCode | [ErrorCode, string];

/** Documented on every operation, as before: the codes a client meets most (every code of COMMON_PROBLEMS is allowed). */
const ALWAYS_DOCUMENTED: ErrorCode[] = ['validation_failed', 'unauthorized', 'forbidden'];

/**
 * The problem codes a route answers besides the common ones (COMMON_PROBLEMS in libs/core): declared once,
 * here. It feeds the OpenAPI document (one response per status, its codes in the description) and is the
 * list the problem filter checks every 4xx answer of the route against (ProblemDrift): an answer whose code
 * is not declared is counted, logged, and fails the end-to-end suite.
 */
export function ApiProblems(...declared: ProblemDeclaration[]) {
  const codes = declared.map((d) => (Array.isArray(d) ? d[0] : d));
  const notes = new Map(declared.filter((d): d is [ErrorCode, string] => Array.isArray(d)));
  const byStatus = new Map<number, string[]>();
  for (const code of [...ALWAYS_DOCUMENTED, ...codes]) {
    const line = notes.has(code) ? `${code} (${notes.get(code)})` : code;
    const lines = byStatus.get(statusOf(code)) ?? [];
    if (!lines.some((l) => l === code || l.startsWith(`${code} (`))) lines.push(line);
    byStatus.set(statusOf(code), lines);
  }
  return applyDecorators(
    DeclareProblems(...codes),
    ApiExtraModels(ProblemDto),
    ...[...byStatus.entries()].sort(([a], [b]) => a - b).map(([status, lines]) => problem(status, lines.join(', '))),
  );
}

export const ApiAuth = () => applyDecorators(ApiBearerAuth(), ApiSecurity('api-key'));
