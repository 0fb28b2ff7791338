import { Link, PageTitle } from '../components.tsx';
import { useI18n } from '../i18n.ts';

/**
 * A path no page has. The server answers it with status 404 and this app; signed in, the
 * navigation stays above it, signed out, the way to sign in is offered.
 */
export function NotFoundPage(props: { path: string; signedIn: boolean }) {
  const { t } = useI18n();
  return (
    <section class={props.signedIn ? undefined : 'card'} id="not-found">
      <PageTitle>{t('notFoundTitle')}</PageTitle>
      <p>{t('notFoundText', { path: props.path })}</p>
      <p>{props.signedIn ? <Link href="/">{t('notFoundHome')}</Link> : <Link href="/login">{t('goToSignIn')}</Link>}</p>
    </section>
  );
}
