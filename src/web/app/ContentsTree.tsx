import { useCallback, useEffect, useId, useState } from "react";
import { Link } from "react-router";
import { chapterPath } from "../../shared/api/book.ts";
import type { ContentsItem } from "../book/book-api.ts";
import { ProgressMark } from "../place/ProgressMark.tsx";
import { ancestorsOf, categoryKey, readCategoryState, writeCategoryState, type Category } from "../book/contents.ts";

interface TreeProps {
  items: readonly ContentsItem[];
  /** The slug of the page being read, or null on other pages. */
  current: string | null;
}

/**
 * The book's sidebar as a tree: categories open and close with a button (aria-expanded), their
 * state remembered in this browser; the categories around the current page open by themselves.
 */
export function ContentsTree({ items, current }: TreeProps) {
  const [open, setOpen] = useState<Record<string, boolean>>(readCategoryState);

  // Reaching a page inside a closed category opens it, so the current page is always in view.
  useEffect(() => {
    if (!current) return;
    const around = ancestorsOf(items, current) ?? [];
    setOpen((state) => {
      if (around.every((k) => state[k] === true)) return state;
      const next = { ...state };
      for (const k of around) next[k] = true;
      writeCategoryState(next);
      return next;
    });
  }, [items, current]);

  const toggle = useCallback((key: string, now: boolean) => {
    setOpen((state) => {
      const next = { ...state, [key]: !now };
      writeCategoryState(next);
      return next;
    });
  }, []);

  return <Items items={items} path={[]} current={current} open={open} onToggle={toggle} />;
}

interface ItemsProps {
  items: readonly ContentsItem[];
  path: string[];
  current: string | null;
  open: Record<string, boolean>;
  onToggle(key: string, now: boolean): void;
}

function Items({ items, path, ...rest }: ItemsProps) {
  return (
    <>
      {items.map((item, i) => {
        if (item.type === "doc") {
          return (
            <li key={`d${i}`}>
              <Link to={chapterPath(item.slug)} aria-current={rest.current === item.slug ? "page" : undefined}>
                {item.label}
                <ProgressMark slug={item.slug} />
              </Link>
            </li>
          );
        }
        if (item.type === "link") {
          return (
            <li key={`l${i}`}>
              <a href={item.href} target="_blank" rel="noopener noreferrer">
                {item.label}
                <span className="visually-hidden"> (opens in a new tab)</span>
                <span aria-hidden="true"> ↗</span>
              </a>
            </li>
          );
        }
        return <CategoryItem key={`c${i}`} category={item} path={[...path, item.label]} {...rest} />;
      })}
    </>
  );
}

function CategoryItem({ category, path, current, open, onToggle }: Omit<ItemsProps, "items"> & { category: Category }) {
  const key = categoryKey(path);
  const listId = useId();
  const expanded = !category.collapsible || (open[key] ?? !category.collapsed);
  const toggle = () => onToggle(key, expanded);
  const chevron = (
    <svg className="toc-chevron" aria-hidden="true" viewBox="0 0 16 16" width="14" height="14">
      <path d="M6 4l4 4-4 4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
  return (
    <li className="toc-category" data-expanded={expanded}>
      <div className="toc-category-row">
        {category.link ? (
          <Link to={chapterPath(category.link.slug)} aria-current={current === category.link.slug ? "page" : undefined}>
            {category.label}
          </Link>
        ) : category.collapsible ? (
          <button type="button" className="toc-category-button" aria-expanded={expanded} aria-controls={listId} onClick={toggle}>
            {chevron}
            {category.label}
          </button>
        ) : (
          <span className="toc-category-label">{category.label}</span>
        )}
        {category.link && category.collapsible && (
          <button type="button" className="toc-category-toggle" aria-expanded={expanded} aria-controls={listId} aria-label={`${category.label}: show or hide its pages`} onClick={toggle}>
            {chevron}
          </button>
        )}
      </div>
      <ul id={listId} className="toc-list toc-sublist" hidden={!expanded}>
        <Items items={category.items} path={path} current={current} open={open} onToggle={onToggle} />
      </ul>
    </li>
  );
}
