"""Statistics: clicks, conversions and money per day, offer, webmaster, sub id, country or goal."""
