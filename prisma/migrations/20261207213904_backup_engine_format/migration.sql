-- AlterTable
ALTER TABLE "Backup" ADD COLUMN     "engineFormat" TEXT;
