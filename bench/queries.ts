// The GraphQL documents the bench's clients send (a module of its own: the client process loads nothing else).
/** What a jobs view asks for: one page of 50, with each job's progress. */
export const JOBS_PAGE = '{ jobs(first: 50) { nodes { id kind status createdAt finishedAt progress { percent phase } } pageInfo { hasNextPage endCursor } } }';
