import type { ComponentChildren } from 'preact';
import { ago } from '../format.js';

/** A page's title, when its data was last refreshed, and the error of the last refresh (the data shown stays). */
export function PageHeader(props: { title: string; updatedAt?: Date; error?: Error; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1>{props.title}</h1>
      <div class="page-tools">
        {props.children}
        {props.updatedAt && (
          <span class="muted" aria-live="off">
            updated {ago(props.updatedAt.toISOString())}
          </span>
        )}
      </div>
      {props.error && <ErrorNote error={props.error} />}
    </header>
  );
}

export function ErrorNote(props: { error: Error | string }) {
  const message = typeof props.error === 'string' ? props.error : props.error.message;
  return (
    <p class="note error" role="alert">
      {message}
    </p>
  );
}

export function Loading() {
  return <p class="muted">Loading…</p>;
}
