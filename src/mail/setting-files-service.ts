import type { SettingsService, SettingView } from '../config/settings-service.ts';
import { SETTING_FILE_KEYS, settingFileUsable, type SettingFileKey } from '../transport/setting-files.ts';

/** A setting as the Email server page reads it; one that names a file says whether Mailroom can use it. */
export type SettingWithFileView = SettingView & {
  /**
   * Only for a setting that names a file (the CA file, the sendmail and qmail programs) and is
   * not empty: false when Mailroom cannot use it, for whatever reason (one answer for all, see
   * setting-files.ts). `mailroom doctor` says why to the host's admin.
   */
  fileUsable?: boolean;
};

const isFileKey = (key: string): key is SettingFileKey => (SETTING_FILE_KEYS as readonly string[]).includes(key);

/** The settings with the verdict on the files they name, looked at afresh at every call. */
export function createSettingFilesService(deps: { settings: SettingsService }) {
  return {
    async describe(): Promise<SettingWithFileView[]> {
      const views = await deps.settings.describe();
      return Promise.all(
        views.map(async (view): Promise<SettingWithFileView> => {
          if (!isFileKey(view.key) || typeof view.value !== 'string' || view.value === '') return view;
          return { ...view, fileUsable: await settingFileUsable(view.key, view.value) };
        }),
      );
    },
  };
}

export type SettingFilesService = ReturnType<typeof createSettingFilesService>;
