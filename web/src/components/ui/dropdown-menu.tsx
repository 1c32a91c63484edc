import { DropdownMenu as P } from "radix-ui";
import type * as React from "react";
import { cn } from "@/lib/utils";
import { usePortalContainer } from "./portal-container";

/**
 * Not modal by default: a modal menu marks the rest of the page aria-hidden while it stays
 * focusable (axe: aria-hidden-focus). The open menu still takes the focus and closes on Escape
 * or a click outside.
 */
export function DropdownMenu({ modal = false, ...props }: React.ComponentProps<typeof P.Root>) {
  return <P.Root modal={modal} {...props} />;
}
export const DropdownMenuTrigger = P.Trigger;

export const menuContentClass =
  "z-50 min-w-[10rem] overflow-hidden rounded-md border bg-popover p-1 text-popover-foreground shadow-md data-[state=open]:animate-in data-[state=open]:fade-in-0 data-[state=open]:zoom-in-95";
export const menuItemClass =
  "relative flex cursor-default select-none items-center gap-2 rounded-sm px-2 py-1.5 text-sm outline-hidden focus:bg-accent focus:text-accent-foreground data-[disabled]:pointer-events-none data-[disabled]:opacity-50 data-[variant=destructive]:text-destructive [&_svg]:pointer-events-none [&_svg]:shrink-0 [&_svg:not([class*='size-'])]:size-4";

export function DropdownMenuContent({ className, sideOffset = 4, ...props }: React.ComponentProps<typeof P.Content>) {
  return (
    <P.Portal container={usePortalContainer()}>
      <P.Content sideOffset={sideOffset} className={cn(menuContentClass, className)} {...props} />
    </P.Portal>
  );
}

export function DropdownMenuItem({ className, variant, ...props }: React.ComponentProps<typeof P.Item> & { variant?: "destructive" }) {
  return <P.Item data-variant={variant} className={cn(menuItemClass, className)} {...props} />;
}

export function DropdownMenuLabel({ className, ...props }: React.ComponentProps<typeof P.Label>) {
  return <P.Label className={cn("px-2 py-1.5 text-sm font-medium", className)} {...props} />;
}

export function DropdownMenuSeparator({ className, ...props }: React.ComponentProps<typeof P.Separator>) {
  return <P.Separator className={cn("-mx-1 my-1 h-px bg-border", className)} {...props} />;
}
