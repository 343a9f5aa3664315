import { IMPORT_EXTENSIONS } from '../prompts/prompt-import';

/** What a browser labels a recording (MediaRecorder's type, or a chosen file's), as the import's file extension. */
const EXTENSION_OF_TYPE: Record<string, string> = {
  'audio/webm': 'webm', 'video/webm': 'webm', 'audio/ogg': 'ogg', 'audio/opus': 'opus', 'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/wave': 'wav',
  'audio/mpeg': 'mp3', 'audio/mp3': 'mp3', 'audio/mp4': 'm4a', 'audio/x-m4a': 'm4a', 'audio/aac': 'aac', 'audio/amr': 'amr', 'audio/3gpp': '3gp', 'audio/flac': 'flac',
};

/**
 * The extension an uploaded recording is decoded as (every decode names its input format,
 * src/audio/ffmpeg.ts): from its Content-Type, else from the file name; null when neither is an
 * audio format the hotline imports.
 */
export function uploadExtension(contentType: string | undefined, fileName: string | undefined): string | null {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (EXTENSION_OF_TYPE[type]) return EXTENSION_OF_TYPE[type];
  const ext = (fileName ?? '').split('.').pop()?.toLowerCase() ?? '';
  return (IMPORT_EXTENSIONS as readonly string[]).includes(ext) ? ext : null;
}
