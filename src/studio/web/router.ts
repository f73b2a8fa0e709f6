/** Hash routes: #/, #/p/<project>/<page>[/<item>], #/lora. */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  readonly page: 'projects' | 'photos' | 'photo' | 'captions' | 'plan' | 'train' | 'evaluate' | 'lora';
  readonly project?: string;
  readonly item?: string;
}

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  if (parts[0] === 'lora') return { page: 'lora' };
  if (parts[0] === 'p' && parts[1]) {
    const project = parts[1];
    const page = parts[2] ?? 'photos';
    const item = parts[3];
    if (page === 'photos' && item) return { page: 'photo', project, item };
    if (page === 'photos' || page === 'captions' || page === 'plan' || page === 'train' || page === 'evaluate') return { page, project, ...(item ? { item } : {}) };
  }
  return { page: 'projects' };
}

export function href(route: Route): string {
  if (route.page === 'projects') return '#/';
  if (route.page === 'lora') return '#/lora';
  const page = route.page === 'photo' ? 'photos' : route.page;
  return `#/p/${encodeURIComponent(route.project ?? '')}/${page}${route.item ? `/${encodeURIComponent(route.item)}` : ''}`;
}

export function navigate(route: Route): void {
  location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
