-- AlterEnum
ALTER TYPE "JobKind" ADD VALUE 'COPY';
